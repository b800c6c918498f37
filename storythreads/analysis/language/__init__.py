"""Language work from spaCy's parse: names, who says what (attribution and speakers),
and the figures a text reports."""
