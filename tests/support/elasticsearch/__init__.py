"""The Elasticsearch test node: the integration-test build plus a test plugin (node.py)."""
