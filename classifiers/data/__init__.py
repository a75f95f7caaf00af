"""Data the classifiers ship: labelled test sets and the scripts that write them."""
