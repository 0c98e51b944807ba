"""The CCTV video worker: capture -> motion -> detection -> tracking -> rules -> events -> comms.

Runs beside the cameras as its own process (``kamtibmas-cctv``) and never imports Django or
``kamtibmas``: it talks to the server over HTTP and MQTT only.
"""

__version__ = "0.1.0"
