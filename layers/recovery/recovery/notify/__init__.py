"""Alert delivery: messages rendered from Jinja2 templates, sent through a small port to SES and SNS."""
