"""Request meta keys through which spiders tell our middlewares about a request."""

META_SOURCE = "leaktrack_source"
META_DOCUMENT_URL = "leaktrack_document_url"  # the URL a document is reported under
META_INCREMENTAL = "leaktrack_incremental"  # "skip_seen" (pastes) or "conditional" (files)
META_API = "leaktrack_api"  # a request to an API (api_base.py): its rate limits are obeyed (ratelimit.py)
