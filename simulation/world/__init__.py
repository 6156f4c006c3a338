"""The world a run starts from: the parameter registry, scenarios, their resolution over the registry, and the arrays built from them."""
