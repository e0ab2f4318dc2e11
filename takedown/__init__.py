"""Getting copies taken down and keeping them down: who to write to, notices, sending,
escalation and monitoring after removal.

It talks to the match store only through the ``MatchStore`` interface (``leaktrack.index``)
and may import ``index``, ``fingerprints`` (reading the responder's own dataset for exposure)
and ``errors``; never ``cli``, ``web``, ``spiders`` or Scrapy (rechecks come in as verdicts).
"""
