"""Contact details, shared by customers and team contacts: checks (pydantic `AfterValidator`s), and how
a detail is shown masked to a lead (enough to recognise it, not to copy it)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


def e164(value: str) -> str:
    """A valid phone number, normalised to E.164 (phonenumbers is imported only when one comes)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as error:
        raise ValueError("not an E.164 phone number (+ and country code)") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError("not a BCP 47 language tag")
    return value.replace("_", "-")


Email = Annotated[str, AfterValidator(email)]
Phone = Annotated[str, AfterValidator(e164)]
Language = Annotated[str, AfterValidator(language)]


def mask_email(address: str) -> str:
    """`ada.lovelace@example.com` -> `a***@example.com`: enough to recognise, not to copy."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_phone(number: str) -> str:
    """`+4791234567` -> `+47 *** ** 567`: the country and the last three digits only."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 7:
        return "***"
    import phonenumbers  # only needed here: keep its metadata out of every import

    try:
        country = phonenumbers.parse("+" + digits, None).country_code
    except phonenumbers.NumberParseException:
        return f"*** ** {digits[-3:]}"
    return f"+{country} *** ** {digits[-3:]}"
