"""Scrapy spiders, middlewares and pipelines that sweep paste sites and mirrors."""
