"""Every admin route, collected for the app factory (and for the isolation suite's enumeration)."""

from web.controllers.auth import AuthController
from web.controllers.home import HomeController
from web.controllers.operator import OperatorController
from web.controllers.signup import SignupController

ROUTES = [AuthController, HomeController]
ROUTES += [SignupController, OperatorController]
