"""actfn compute core: activations, exact derivatives, devices and caps. Imports no Flask.

64-bit floats are enabled here, once, before any array exists; every input is then cast
explicitly to the dtype a caller asks for.

CPU computations run synchronously on the calling thread: every caller here waits for its
result at once, and handing a small computation to XLA's dispatch thread and waking up
again costs more than the computation (about 35 µs of a 100-point request; `make bench`).
"""

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_cpu_enable_async_dispatch", False)

from .catalog import CATALOG as CATALOG
from .devices import DEVICE_CHOICES as DEVICE_CHOICES
from .errors import (
    CoreError as CoreError,
)
from .errors import (
    DeviceUnavailable as DeviceUnavailable,
)
from .errors import (
    InvalidInput as InvalidInput,
)
from .errors import (
    InvalidParams as InvalidParams,
)
from .errors import (
    LimitExceeded as LimitExceeded,
)
from .errors import (
    UnknownActivation as UnknownActivation,
)
from .evaluate import DTYPES as DTYPES
from .evaluate import Evaluation as Evaluation
from .evaluate import evaluate as evaluate
from .limits import Limits as Limits
from .registry import ELEMENTWISE as ELEMENTWISE
from .registry import VECTOR as VECTOR
from .registry import Activation as Activation
from .registry import Param as Param
