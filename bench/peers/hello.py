"""A bare Flask "hello world": one route, a small constant JSON answer (the framework floor)."""

import flask

app = flask.Flask(__name__)


@app.get("/")
def hello():
    return {"ok": True}
