"""What tests share: builders, fakes, receivers and runners as plain modules (fixtures live in conftest files)."""
