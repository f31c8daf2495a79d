"""The Blueprint every resource uses: flask-smorest's, with this service's request parser."""

import flask_smorest

from .parser import PARSER


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = PARSER
