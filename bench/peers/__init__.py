"""Peer WSGI apps for bench/peer_http.py: what the service's HTTP figures are compared against."""
