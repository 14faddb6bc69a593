"""CSV source tests: real-shaped exports of each family, value parsing, the CLI over files and folders."""
