"""One module per flow: domain rules, storage and outbound ports composed; no boto3, no pynamodb."""
