from digitpad.gui.app import binding_problem


def test_qt_binding_is_usable():
    assert binding_problem() is None
