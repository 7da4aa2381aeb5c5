"""The universal approximator (DESIGN §7), a plug-in on top of ``bounds``: one fixed TMNU, the stream
interpreter (:mod:`~certify.universal.interpreter`); the stream compiler (:mod:`~certify.universal.stream`);
the proven arithmetic error of a stream (:mod:`~certify.universal.arithmetic`); the certified rate per
round (:mod:`~certify.universal.rates`); ``certify build universal`` (:mod:`~certify.universal.build`).

Importing the package registers its rate method with ``certify rates`` (``bounds`` never imports this
package; :mod:`certify.plugins` loads it for the commands, the report and the gate).

>>> from certify.bounds.rates import methods
>>> [m.name for m in methods()]
['universal', 'network', 'enclosure']
"""

from __future__ import annotations

from certify.bounds.rates import register
from certify.universal.rates import UNIVERSAL

register(UNIVERSAL)
