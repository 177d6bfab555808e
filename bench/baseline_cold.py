"""The cold-start baseline: a module that imports boto3 and makes one client."""

import boto3

client = boto3.client("dynamodb")
