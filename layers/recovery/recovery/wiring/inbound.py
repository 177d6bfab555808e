"""Builds what the inbound function needs: customer replies by email (SES receiving, through S3) and by
SMS (two-way SMS), threaded onto their cases (`recovery.services.inbound_replies`)."""

from __future__ import annotations

import os

from recovery.services.inbound_replies import InboundReplies
from recovery.settings import Settings
from recovery.store.cases import CaseStore
from recovery.store.customer_messages import CustomerPreferences
from recovery.store.inbound_mail import S3Mail
from recovery.store.links import LinkStore
from recovery.store.replies import ReplyStore
from recovery.wiring import bind_table
from recovery.wiring.messaging import address_hasher, reply_domain


def build_inbound_replies(settings: Settings) -> InboundReplies:
    """`INBOUND_MAIL_BUCKET`: the only bucket raw mail is read from; `REPLY_DOMAIN`: the reply domain."""
    import boto3

    bind_table(settings)
    return InboundReplies(
        S3Mail(boto3.client("s3")),
        LinkStore(),
        ReplyStore(),
        CaseStore(),
        CustomerPreferences(),
        address_hasher(settings),
        reply_domain(),
        os.environ.get("INBOUND_MAIL_BUCKET", "").strip() or None,
    )
