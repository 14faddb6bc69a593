"""A local HTTP server replaying real CoinGecko and CoinPaprika responses, with injectable faults."""
