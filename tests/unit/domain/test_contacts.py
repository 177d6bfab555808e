"""How a customer's contact detail is shown to a lead: enough to recognise it, not to copy it."""

from __future__ import annotations

import pytest

from recovery.domain.contacts import mask_email, mask_phone


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("ada@example.com", "a***@example.com"),
        ("ada.lovelace+x@mail.example.co.uk", "a***@mail.example.co.uk"),
        ("  Bob@Example.com ", "B***@Example.com"),
        ("not-an-address", "***"),
        ("@example.com", "***"),
    ],
)
def test_mask_email(address, masked):
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+4791234567", "+47 *** ** 567"),
        ("+49 30 1234 5678", "+49 *** ** 678"),
        ("+905321234567", "+90 *** ** 567"),
        ("+81312345678", "+81 *** ** 678"),
        ("12", "***"),
    ],
)
def test_mask_phone(number, masked):
    assert mask_phone(number) == masked
