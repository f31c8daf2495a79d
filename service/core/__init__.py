"""actfn compute core: activations, exact derivatives, devices and caps. Imports no Flask.

64-bit floats are enabled here, once, before any array exists; every input is then cast
explicitly to the dtype a caller asks for.
"""

import jax

jax.config.update("jax_enable_x64", True)

from .catalog import CATALOG as CATALOG  # noqa: E402
from .devices import DEVICE_CHOICES as DEVICE_CHOICES  # noqa: E402
from .errors import (  # noqa: E402
    CoreError as CoreError,
    DeviceUnavailable as DeviceUnavailable,
    InvalidInput as InvalidInput,
    InvalidParams as InvalidParams,
    LimitExceeded as LimitExceeded,
    UnknownActivation as UnknownActivation,
)
from .evaluate import DTYPES as DTYPES, Evaluation as Evaluation, evaluate as evaluate  # noqa: E402
from .limits import Limits as Limits  # noqa: E402
from .registry import ELEMENTWISE as ELEMENTWISE, VECTOR as VECTOR, Activation as Activation, Param as Param  # noqa: E402
