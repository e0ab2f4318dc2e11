"""leaktrack's Scrapy commands (the ``COMMANDS_MODULE`` setting): ``crawl`` as Scrapy's, with
the sources' tokens read from the environment here, at the edge, and the user's errors as one
line. In cli/ because this is where a run's configuration is resolved: nothing below reads
the environment."""
