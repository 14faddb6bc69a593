"""The sources the pipeline knows; inputs naming another are rejected (4xx), not answered with nothing."""

KNOWN_SOURCES = ("coingecko", "coinpaprika", "csv")
