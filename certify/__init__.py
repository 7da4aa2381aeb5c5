"""certify: exact verification and certified bounds for ReLU RNN constructions.

The pipeline (DESIGN §9) reads one way:
weight file -> ``rnn.io`` -> Network (+ simulation map) -> ``prove`` obligations
-> certifiers -> certificate -> ``bounds`` -> report.
"""

__version__ = "0.1.0"
