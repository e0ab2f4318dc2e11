"""Scrapy spiders, middlewares and pipelines that sweep paste sites and mirrors.

- ``sources``: the TOML sources file -> ``SourcesConfig`` / ``Source``.
- ``paste``, ``mirror``, ``urls`` (on ``base.SourceSpider``): where to go and what to take.
- ``middlewares``: private-address guard, incremental fetching, retry backoff, outcome tally.
- ``pipelines`` (with ``scanning``): scan each document, store the matches, remember the URL.
- ``state``: crawl state across sweeps. ``settings``: the Scrapy settings module, defaults.
- ``crawl``: one crawl in a child process; ``sweep``: ``run_sweep`` (lock, progress, record);
  ``watch``: sweeps on a schedule; ``recheck``: are taken-down copies gone;
  ``distributed``: sharing a sweep through Redis.
- ``sites``: local paste site / mirror servers on 127.0.0.1; ``demo``: ``leaktrack demo``.
"""
