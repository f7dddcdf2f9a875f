"""Text-attribute scoring as a plain library: Perspective client, rate limiting, durable score store, importers."""
