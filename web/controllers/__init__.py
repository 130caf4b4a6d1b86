"""Every admin route, collected for the app factory (and for the isolation suite's enumeration)."""

from web.controllers.auth import AuthController
from web.controllers.home import HomeController

ROUTES = [AuthController, HomeController]
