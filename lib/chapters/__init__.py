"""Each chapter's experiments, paper numbers and claim rules: the heavy code behind book/NN_*.py."""
