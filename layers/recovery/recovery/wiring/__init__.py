"""The composition root: what each function needs, built lazily from typed settings.

One module per function group: `alerts` (alert, sweep, ack), `cases`, `customers` (the customer's
acknowledgement, and the messenger every function that writes to a customer uses), `follow_up` (the run
and the page), `reports` (reports, markers, the anomaly check and the digest). `messaging` holds what the
messaging functions share: their settings, the SES and SNS sender, the keyed hash of an address.
"""
