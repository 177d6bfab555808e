"""Webhook signature schemes: verified on the exact bytes, constant-time, several secrets, replay window."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from recovery.sources import signatures
from recovery.sources.fetched_presets import QUALTRICS_SHARED_KEY
from recovery.sources.presets import STANDARD_WEBHOOKS
from recovery.sources.signatures import HmacScheme, TokenScheme, parse_scheme, sign, verify

SHARED = Path(__file__).resolve().parents[2] / "fixtures" / "vendor"  # a copy of shared/fixtures/webhooks
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BODY = b'{"event_id":"e1","form_response":{"token":"t1"}}'

TYPEFORM = HmacScheme(header="typeform-signature", algorithm="sha256", encoding="base64", prefix="sha256=")
STANDARD = parse_scheme(STANDARD_WEBHOOKS)
WHSEC = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def typeform_header(secret: str, raw: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def standard_headers(
    secret_bytes: bytes, raw: bytes, stamp: datetime, msg_id: str = "msg_1"
) -> dict[str, str]:
    seconds = str(int(stamp.timestamp()))
    signed = f"{msg_id}.{seconds}.".encode() + raw
    digest = base64.b64encode(hmac.new(secret_bytes, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": seconds, "webhook-signature": f"v1,{digest}"}


def test_typeform_signature_computed_over_the_exact_bytes_is_accepted() -> None:
    # GIVEN a body signed the way Typeform signs it, with the header name in vendor case
    headers = {"Typeform-Signature": typeform_header("s3cret", BODY)}
    # WHEN it is verified
    check = verify(TYPEFORM, ["s3cret"], BODY, headers, {}, NOW)
    # THEN it passes
    assert check == signatures.Check(ok=True)


def test_a_tampered_body_is_refused_as_bad_signature() -> None:
    # GIVEN a signature over the original body, and a body changed by one byte
    headers = {"typeform-signature": typeform_header("s3cret", BODY)}
    tampered = BODY.replace(b"t1", b"t2")
    # WHEN the tampered body is verified
    check = verify(TYPEFORM, ["s3cret"], tampered, headers, {}, NOW)
    # THEN it is refused, with the reason
    assert (check.ok, check.reason) == (False, "bad signature")


def test_re_serialised_json_does_not_verify() -> None:
    # GIVEN a signature over compact bytes, and the same JSON re-serialised with spaces
    headers = {"typeform-signature": typeform_header("s3cret", BODY)}
    pretty = json.dumps(json.loads(BODY)).encode()
    # WHEN verified THEN refused: signatures hold only for the bytes as received
    assert verify(TYPEFORM, ["s3cret"], pretty, headers, {}, NOW).reason == "bad signature"


def test_a_wrong_secret_is_refused_and_a_missing_header_named() -> None:
    # GIVEN a body signed with another secret, and one with no signature at all
    headers = {"typeform-signature": typeform_header("other", BODY)}
    # WHEN both are verified
    wrong = verify(TYPEFORM, ["s3cret"], BODY, headers, {}, NOW)
    missing = verify(TYPEFORM, ["s3cret"], BODY, {}, {}, NOW)
    # THEN each is refused with its own reason
    assert (wrong.reason, missing.reason) == ("bad signature", "missing signature")


def test_old_and_new_secret_both_verify_during_rotation() -> None:
    # GIVEN a source with two valid secrets, and deliveries signed with each
    old = {"typeform-signature": typeform_header("old-secret", BODY)}
    new = {"typeform-signature": typeform_header("new-secret", BODY)}
    secrets = ["new-secret", "old-secret"]
    # WHEN both are verified THEN both pass, and a third secret does not
    assert verify(TYPEFORM, secrets, BODY, old, {}, NOW).ok
    assert verify(TYPEFORM, secrets, BODY, new, {}, NOW).ok
    assert not verify(TYPEFORM, ["new-secret"], BODY, old, {}, NOW).ok


def test_no_secret_refuses_everything() -> None:
    # GIVEN a correctly signed body but no secret configured (an empty one counts as none)
    headers = {"typeform-signature": typeform_header("", BODY)}
    # WHEN verified THEN refused: an empty key must not verify an empty-key signature
    assert verify(TYPEFORM, [""], BODY, headers, {}, NOW).reason == "no secret configured"


def test_standard_webhooks_with_whsec_secret_and_fresh_timestamp() -> None:
    # GIVEN a Formbricks delivery signed per Standard Webhooks (secret base64 after whsec_)
    raw = (SHARED / "formbricks" / "responseFinished_docs.json").read_bytes()
    headers = standard_headers(
        base64.b64decode(WHSEC.removeprefix("whsec_")), raw, NOW - timedelta(seconds=30)
    )
    # WHEN verified at NOW
    check = verify(STANDARD, [WHSEC], raw, headers, {}, NOW)
    # THEN it passes
    assert check.ok


def test_standard_webhooks_stale_timestamp_is_refused_even_with_a_valid_signature() -> None:
    # GIVEN a correctly signed delivery whose timestamp is 6 minutes old (window: 5)
    raw = b'{"event":"responseFinished"}'
    headers = standard_headers(base64.b64decode(WHSEC[6:]), raw, NOW - timedelta(minutes=6))
    # WHEN it is verified (a replay of an old delivery)
    check = verify(STANDARD, [WHSEC], raw, headers, {}, NOW)
    # THEN it is refused as stale, and a future timestamp as well
    assert check.reason == "stale timestamp"
    ahead = standard_headers(base64.b64decode(WHSEC[6:]), raw, NOW + timedelta(minutes=6))
    assert verify(STANDARD, [WHSEC], raw, ahead, {}, NOW).reason == "stale timestamp"


def test_standard_webhooks_timestamp_is_part_of_the_signed_message() -> None:
    # GIVEN a signed delivery whose timestamp header is moved within the window after signing
    raw = b'{"event":"responseFinished"}'
    headers = standard_headers(base64.b64decode(WHSEC[6:]), raw, NOW)
    headers["webhook-timestamp"] = str(int(NOW.timestamp()) + 10)
    # WHEN verified THEN refused: the timestamp is signed
    assert verify(STANDARD, [WHSEC], raw, headers, {}, NOW).reason == "bad signature"


def test_standard_webhooks_header_may_list_several_signatures() -> None:
    # GIVEN a header listing a signature under an unknown key first, then the right one
    raw = b"{}"
    headers = standard_headers(base64.b64decode(WHSEC[6:]), raw, NOW)
    headers["webhook-signature"] = "v1,AAAA v1a,BBBB " + headers["webhook-signature"]
    # WHEN verified THEN the matching one is found
    assert verify(STANDARD, [WHSEC], raw, headers, {}, NOW).ok


def test_missing_timestamp_is_refused() -> None:
    # GIVEN a Standard Webhooks delivery without its timestamp header
    headers = standard_headers(base64.b64decode(WHSEC[6:]), b"{}", NOW)
    del headers["webhook-timestamp"]
    # WHEN verified THEN refused with the reason
    assert verify(STANDARD, [WHSEC], b"{}", headers, {}, NOW).reason == "missing timestamp"


def test_zendesk_docs_test_vector_verifies_as_body_then_timestamp() -> None:
    # GIVEN the Zendesk docs' example constants, which verify only with the body before the timestamp
    vector = json.loads((SHARED / "zendesk" / "signature_test_vector.docs.json").read_text())
    scheme = HmacScheme(
        header="x-zendesk-webhook-signature",
        encoding="base64",
        message="{body}{header:x-zendesk-webhook-signature-timestamp}",
        timestamp_header="x-zendesk-webhook-signature-timestamp",
    )
    # WHEN the vector is verified with a scheme configured that way (no replay window: it is from 2021)
    check = verify(
        scheme, [vector["signing_secret"]], vector["raw_body"].encode(), vector["headers"], {}, NOW
    )
    # THEN it passes, and a wrong secret does not
    assert check.ok
    assert not verify(scheme, ["nope"], vector["raw_body"].encode(), vector["headers"], {}, NOW).ok


def test_zendesk_timestamp_in_iso_8601_is_checked_against_the_window() -> None:
    # GIVEN the zendesk preset's scheme and a delivery signed an hour ago with an ISO timestamp
    from recovery.sources.presets import PRESETS

    scheme = parse_scheme(PRESETS["zendesk"].configure({}).signature)
    stamp = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = sign(scheme, "zsecret", b"{}", {"x-zendesk-webhook-signature-timestamp": stamp}, NOW)
    headers["x-zendesk-webhook-signature-timestamp"] = stamp
    # WHEN verified now THEN refused as stale; signed now, it passes
    assert verify(scheme, ["zsecret"], b"{}", headers, {}, NOW).reason == "stale timestamp"
    fresh_stamp = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh = {"x-zendesk-webhook-signature-timestamp": fresh_stamp}
    fresh.update(sign(scheme, "zsecret", b"{}", fresh, NOW))
    assert verify(scheme, ["zsecret"], b"{}", fresh, {}, NOW).ok


@pytest.mark.parametrize(
    ("algorithm", "encoding"), [("sha1", "hex"), ("sha1", "base64"), ("sha256", "hex"), ("sha512", "base64")]
)
def test_sign_produces_what_verify_accepts_and_what_a_vendor_would_send(
    algorithm: str, encoding: str
) -> None:
    # GIVEN a scheme and an independently computed expected signature
    scheme = HmacScheme(header="x-sig", algorithm=algorithm, encoding=encoding, prefix="p=")  # type: ignore[arg-type]
    mac = hmac.new(b"k", BODY, getattr(hashlib, algorithm)).digest()
    expected = "p=" + (mac.hex() if encoding == "hex" else base64.b64encode(mac).decode())
    # WHEN signed
    headers = sign(scheme, "k", BODY, {}, NOW)
    # THEN the header is exactly the expected one, and it verifies
    assert headers == {"x-sig": expected}
    assert verify(scheme, ["k"], BODY, headers, {}, NOW).ok


def test_sign_standard_webhooks_adds_the_timestamp() -> None:
    # GIVEN the Standard Webhooks scheme and a message id
    # WHEN a body is signed
    headers = sign(STANDARD, WHSEC, b"{}", {"webhook-id": "msg_9"}, NOW)
    # THEN the timestamp is NOW in unix seconds and everything verifies
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert verify(STANDARD, [WHSEC], b"{}", {"webhook-id": "msg_9", **headers}, {}, NOW).ok


def test_hex_signature_compares_case_insensitively() -> None:
    # GIVEN a Delighted-style hex signature sent in upper case
    scheme = HmacScheme(header="x-delighted-webhook-signature", encoding="hex", prefix="sha256=")
    digest = hmac.new(b"k", BODY, hashlib.sha256).hexdigest().upper()
    # WHEN verified THEN it passes
    assert verify(scheme, ["k"], BODY, {"x-delighted-webhook-signature": "sha256=" + digest}, {}, NOW).ok


def test_url_token_scheme() -> None:
    # GIVEN a token scheme for a tool that cannot sign
    scheme = TokenScheme()
    # WHEN deliveries come with the right token, a wrong one, none
    # THEN each is answered with its reason
    assert verify(scheme, ["tok-1", "tok-0"], b"", {}, {"token": "tok-0"}, NOW).ok
    assert verify(scheme, ["tok-1"], b"", {}, {"token": "tok-2"}, NOW).reason == "bad token"
    assert verify(scheme, ["tok-1"], b"", {}, {}, NOW).reason == "missing token"
    assert sign(scheme, "tok-1", b"", {}, NOW) == {}


def test_invalid_schemes_are_refused_with_the_field() -> None:
    # GIVEN schemes with an unknown placeholder, an unknown algorithm, and a window without a timestamp
    bad = [
        {"header": "x", "message": "{body}{query:x}"},
        {"header": "x", "algorithm": "md5"},
        {"header": "x", "tolerance_seconds": 300},
        {"header": "X-Upper"},
    ]
    # WHEN parsed THEN each raises a validation error
    for document in bad:
        with pytest.raises(ValidationError):
            parse_scheme(document)


def test_new_secret_fits_the_scheme() -> None:
    # GIVEN a whsec scheme and a raw one
    # WHEN secrets are generated
    standard, raw = signatures.new_secret(STANDARD), signatures.new_secret(TYPEFORM)
    # THEN the whsec one decodes to 24 bytes, and both are long and different each time
    assert len(base64.b64decode(standard.removeprefix("whsec_"))) == 24
    assert len(raw) >= 40 and raw != signatures.new_secret(TYPEFORM)


# --- a signature in a form field (Qualtrics event subscriptions with a sharedKey) -------------------

QUALTRICS = HmacScheme.model_validate(QUALTRICS_SHARED_KEY)
# A public gateway's test vector for Qualtrics's HMAC: hex HMAC-SHA512 of MSG's text under the shared key.
VECTOR_KEY = "kyma4ever"
VECTOR_MSG = (
    '{"Status":"Complete","SurveyID":"SV_1AmkKSDmoZ4XlQx","ResponseID":"R_0B7IcnXszjEUHLP",'
    '"CompletedDate":"2019-06-25 07:58:25","BrandID":"sapdevelopment"}'
)
VECTOR_HMAC = (
    "c2c585a404c239aa3063b462cc33551d3ed3ed2de0899f58d456fc0ef7ebef6f"
    "3c3af44957989bd0592603e41edde9528f7d9ed09ee128bf719aa12f46e5c598"
)


def qualtrics_form(
    msg: str, signature: str | None, topic: str = "surveyengine.completedResponse.SV_1"
) -> bytes:
    fields = {"Topic": topic, "MSG": msg} | ({"HMAC": signature} if signature is not None else {})
    return urlencode(fields).encode()


def test_qualtrics_test_vector_verifies_over_the_decoded_msg_field() -> None:
    # GIVEN the vector's message posted form-encoded (so its quotes and spaces are escaped) with its HMAC
    raw = qualtrics_form(VECTOR_MSG, VECTOR_HMAC)
    assert b"%22Status%22" in raw
    # WHEN verified with the shared key THEN it passes: the HMAC is over MSG's text, not the posted bytes
    assert verify(QUALTRICS, [VECTOR_KEY], raw, {}, {}, NOW).ok
    # AND an upper-case hex HMAC, the old key during a rotation, pass too
    assert verify(QUALTRICS, ["new-key", VECTOR_KEY], qualtrics_form(VECTOR_MSG, VECTOR_HMAC.upper()), {}, {},
                  NOW).ok  # fmt: skip


def test_qualtrics_tampered_msg_wrong_key_or_no_hmac_are_refused() -> None:
    # GIVEN the vector with its message changed, signed with another key, without HMAC, or with two MSGs
    tampered = qualtrics_form(VECTOR_MSG.replace("Complete", "Completed"), VECTOR_HMAC)
    doubled = (
        qualtrics_form(VECTOR_MSG, VECTOR_HMAC) + b"&" + urlencode({"MSG": '{"ResponseID":"R_x"}'}).encode()
    )
    # WHEN verified THEN each is refused with its reason
    assert verify(QUALTRICS, [VECTOR_KEY], tampered, {}, {}, NOW).reason == "bad signature"
    assert verify(QUALTRICS, [VECTOR_KEY + "x"], qualtrics_form(VECTOR_MSG, VECTOR_HMAC), {}, {},
                  NOW).reason == "bad signature"  # fmt: skip
    assert verify(QUALTRICS, [VECTOR_KEY], qualtrics_form(VECTOR_MSG, None), {}, {}, NOW).reason == (
        "missing signature"
    )
    assert verify(QUALTRICS, [VECTOR_KEY], doubled, {}, {}, NOW).reason == "bad signature"
    # AND a body that is no form at all carries no signature
    assert verify(QUALTRICS, [VECTOR_KEY], b"\xff\xfe", {}, {}, NOW).reason == "missing signature"


def test_sign_and_signed_form_produce_what_qualtrics_sends() -> None:
    # GIVEN the vector's form without its HMAC
    raw = qualtrics_form(VECTOR_MSG, None)
    # WHEN signed
    field = sign(QUALTRICS, VECTOR_KEY, raw, {}, NOW)
    body = signatures.signed_form(QUALTRICS, VECTOR_KEY, raw, NOW)
    # THEN the signature is the vector's, as the HMAC field, and the signed body verifies
    assert field == {"HMAC": VECTOR_HMAC}
    assert body == qualtrics_form(VECTOR_MSG, VECTOR_HMAC)
    assert verify(QUALTRICS, [VECTOR_KEY], body, {}, {}, NOW).ok
    # AND a header scheme has no form to sign
    with pytest.raises(ValueError, match="header"):
        signatures.signed_form(TYPEFORM, "k", raw, NOW)


@pytest.mark.parametrize(
    "document",
    [
        {"field": "HMAC"},  # signs the whole body, which holds the signature
        {"field": "HMAC", "message": "{body}"},
        {"field": "HMAC", "message": "{form:HMAC}"},
        {"header": "x-sig", "field": "HMAC", "message": "{form:MSG}"},
        {"message": "{form:MSG}"},
        {"field": "bad field!", "message": "{form:MSG}"},
        {"header": "x-sig", "message": "{header:x-id}"},
    ],
)
def test_inconsistent_form_schemes_are_refused(document: dict[str, str]) -> None:
    # GIVEN a scheme that signs its own signature, names two places or none, or signs no content
    # WHEN parsed THEN it is refused
    with pytest.raises(ValidationError):
        parse_scheme(document)


def test_a_header_scheme_may_sign_a_form_field() -> None:
    # GIVEN a scheme with the signature in a header over one form field's decoded value
    scheme = parse_scheme({"header": "x-sig", "message": "{form:payload}"})
    raw = urlencode({"payload": "a b&c", "other": "x"}).encode()
    # WHEN signed and verified THEN the signature covers the decoded value only
    headers = sign(scheme, "k", raw, {}, NOW)
    assert headers == {"x-sig": hmac.new(b"k", b"a b&c", hashlib.sha256).hexdigest()}
    assert verify(scheme, ["k"], raw + b"&more=1", headers, {}, NOW).ok
