"""The HTTP edge the API functions share: problems, errors to statuses, claims, headers, docs, pages."""
