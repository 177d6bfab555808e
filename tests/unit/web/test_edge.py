"""Edge helpers: log masking, JSON pointers, keyed hashes, key authentication."""

from __future__ import annotations

import pytest

from recovery.domain.feedback import Customer
from recovery.domain.identity import PiiHasher, case_id, feedback_id
from recovery.domain.source import StoredSource
from recovery.errors import Unauthorized
from recovery.observability import mask
from recovery.services.intake import SourceDirectory, hash_key
from recovery.web.requests import pointer


def test_mask_hides_addresses_phones_and_keys() -> None:
    text = mask("mail ada@example.com phone +47 912 34 567 key rlk_demo-web_abcdefghijkl Bearer xyz123")
    assert "ada@example.com" not in text and "a***@example.com" in text
    assert "912 34" not in text and text.count("***") >= 3
    assert "abcdefghijkl" not in text and "xyz123" not in text


def test_mask_leaves_times_and_ids_alone() -> None:
    text = "2026-11-23 00:36:16,892+0000 arn:aws:lambda:us-east-1:123456789012:function:x fb_3a2584685cf0"
    assert mask(text) == text


def test_pointer_drops_discriminator_tags() -> None:
    assert pointer(("body", "score", "nps", "value")) == "/score/value"
    assert pointer(("body", "items", 3, "customer", "email")) == "/items/3/customer/email"
    assert pointer(("body", "metadata", "a/b")) == "/metadata/a~1b"


def test_hashes_are_keyed_and_ids_deterministic() -> None:
    one, two = PiiHasher(b"k" * 32), PiiHasher(b"j" * 32)
    customer = Customer(email="Ada@Example.com")
    assert one.customer_key(customer) == one.customer_key(Customer(email="ada@example.com"))
    assert one.customer_key(customer) != two.customer_key(customer)
    assert feedback_id("FB#a#1") == feedback_id("FB#a#1") != feedback_id("FB#a#2")
    assert case_id("FB#a#1").startswith("cs_") and len(case_id("FB#a#1")) == 27
    with pytest.raises(ValueError, match="16 bytes"):
        PiiHasher(b"short")


class FakeSources:
    def __init__(self, items: dict[str, StoredSource]) -> None:
        self.items = items
        self.reads = 0

    def get(self, source_id: str) -> StoredSource | None:
        self.reads += 1
        return self.items.get(source_id)


def source(key: str) -> StoredSource:
    from datetime import UTC, datetime

    return StoredSource(
        source_id="web",
        name="Web",
        key_hashes=(hash_key("old"), hash_key(key)),
        enabled=True,
        updated_at=datetime.now(UTC),
    )


def test_any_current_key_of_a_source_authenticates_and_the_source_is_cached() -> None:
    store = FakeSources({"web": source("rlk_web_secret"), "web2": source("rlk_web2_se_cr_et")})
    directory = SourceDirectory(store)  # type: ignore[arg-type]
    assert directory.authenticate("Bearer rlk_web2_se_cr_et").source_id == "web"  # "_" inside the secret
    assert directory.authenticate("Bearer rlk_web_secret").source_id == "web"
    assert directory.authenticate("bearer rlk_web_secret").source_id == "web"
    assert store.reads == 2


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer rlk_web_wrong",
        "Basic rlk_web_secret",
        "Bearer rlk_other_secret",
        "Bearer x",
    ],
)
def test_bad_keys_are_refused(header: str | None) -> None:
    directory = SourceDirectory(FakeSources({"web": source("rlk_web_secret")}))  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        directory.authenticate(header)
