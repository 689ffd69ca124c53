"""Operator endpoints: the classifier model in service, training data from history."""
