"""The one place plug-ins are loaded: constructions and analyses that sit on top of ``bounds`` and register
themselves with it (a rate method, the claim keys it reads). ``certify``'s commands, the report and the gate
call :func:`load_plugins` before they ask ``bounds`` for rates; ``bounds`` never imports a plug-in.

Plug-ins are listed here, in the tree, rather than discovered through installed entry points: what
certify proves (and the bytes of its certificates and reports) must not depend on which other packages
happen to be installed beside it, and a new plug-in is one line in :data:`PLUGINS`.

>>> load_plugins()
('universal', 'network', 'enclosure')
"""

from __future__ import annotations

from types import ModuleType

import certify.deep
import certify.universal
from certify.bounds.rates import methods

#: Every plug-in, imported (and so registered) with this module.
PLUGINS: tuple[ModuleType, ...] = (certify.universal, certify.deep)


def load_plugins() -> tuple[str, ...]:
    """Make sure every plug-in in :data:`PLUGINS` is registered; the rate methods then tried, in order."""
    return tuple(m.name for m in methods())
