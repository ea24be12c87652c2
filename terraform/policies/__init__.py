# checkov only loads external checks from directories that are packages.
