"""Local stand-ins for Mastodon, Bluesky and the Facebook Graph API (tests and benchmarks).

Not part of the product: nothing in `carepost` imports this package.
"""
