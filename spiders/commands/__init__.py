"""leaktrack's Scrapy commands (the ``COMMANDS_MODULE`` setting): ``crawl`` as Scrapy's, with
the user's errors as one line."""
