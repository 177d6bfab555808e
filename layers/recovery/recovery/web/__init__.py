"""The HTTP edge the API functions share, each helper once:

- `http`: what they answer: problem documents (and `Problem`, the exception that carries one), JSON
  documents, documented answers for the OpenAPI document, answers given before routing;
- `errors`: every exception the APIs answer deliberately, mapped to its answer in one place and registered
  on each JSON API's resolver (`errors.register(app)`), and applied to a function's gate before routing;
- `requests`: reading a request: body size, media type and JSON, a body as its model with JSON Pointers,
  query parameters, If-Match, Accept;
- `auth`: who calls: a lead's JWT claims as the authorizer passes them on, and the admin-key gate;
- `languages`: a visitor's language from Accept-Language;
- `api_docs`, `case_views` and `pages`: the OpenAPI document and Swagger UI, how cases read in the API,
  and the server-rendered pages with their wording.
"""
