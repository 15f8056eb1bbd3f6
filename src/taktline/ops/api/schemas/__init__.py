"""Request and response bodies of the REST API, in families by role (the FastAPI
full-stack template's habit): ``...Base`` shared fields, ``...Create`` what a client
sends, ``...Public`` what the API returns, ``...sPublic`` a page of them."""
