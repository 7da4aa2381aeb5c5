"""Deep narrow RNNs (Song, Hwang, Lee, Kang, JMLR 2023): the width table (:mod:`~certify.deep.width`),
targets in a checkable form (:mod:`~certify.deep.target`), the compiler to a narrow deep ReLU RNN
(:mod:`~certify.deep.narrow`), its exact equivalence proof (:mod:`~certify.deep.equivalence`) and the L^p
packer (:mod:`~certify.deep.packer`). Importing the package registers ``claims.equals_target`` with ``certify check``
(:mod:`~certify.deep.claim`)."""

from certify.deep import claim as claim  # registers the equality claim with the checker
