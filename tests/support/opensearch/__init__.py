"""The test node: a real OpenSearch node started from Maven Central jars (see node.py)."""
