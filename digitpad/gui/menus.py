"""The window's actions (each with a shortcut and a tooltip), menus and toolbar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QSlider,
    QToolBar,
    QWidget,
)

from digitpad.gui.canvas import MAX_BRUSH, MIN_BRUSH
from digitpad.gui.image_view import ZOOM_STEP

Key = QKeySequence.StandardKey
Theme = QIcon.ThemeIcon

# name: (text, shortcuts, tooltip, icon from the desktop's theme)
ACTIONS = {
    "open_image": (
        "&Open Image…",
        [Key.Open],
        "Open an image of digits (PNG, JPEG, TIFF, PDF…)",
        Theme.DocumentOpen,
    ),
    "open_drawing": ("Open &Drawing…", ["Ctrl+Shift+O"], "Open a saved drawing (.json)", None),
    "save_drawing": (
        "&Save Drawing…",
        [Key.Save],
        "Save the strokes as a drawing file (.json)",
        Theme.DocumentSave,
    ),
    "quit": ("&Quit", [Key.Quit, "Ctrl+Q"], "Quit DigitPad", Theme.ApplicationExit),
    "undo": ("&Undo Stroke", [Key.Undo], "Undo the last stroke", Theme.EditUndo),
    "redo": (
        "&Redo Stroke",
        ["Ctrl+Shift+Z", Key.Redo],
        "Redo the stroke undone last",
        Theme.EditRedo,
    ),
    "clear": (
        "C&lear",
        ["Esc", "Delete"],
        "Clear the canvas, or close the image on show",
        Theme.EditClear,
    ),
    "copy": (
        "&Copy Number",
        [Key.Copy],
        "Copy the recognised number to the clipboard",
        Theme.EditCopy,
    ),
    "paste": ("&Paste Image", [Key.Paste], "Read an image from the clipboard", Theme.EditPaste),
    "previous_digit": ("&Previous Digit", ["Left"], "Select the digit before, in a number", None),
    "next_digit": ("&Next Digit", ["Right"], "Select the digit after, in a number", None),
    "zoom_in": ("Zoom &In", [Key.ZoomIn, "Ctrl+="], "Enlarge the image on show", Theme.ZoomIn),
    "zoom_out": ("Zoom &Out", [Key.ZoomOut], "Reduce the image on show", Theme.ZoomOut),
    "zoom_fit": (
        "&Fit to Window",
        ["Ctrl+Shift+F"],
        "Show the whole image, as large as the window allows",
        Theme.ZoomFitBest,
    ),
    "zoom_actual": (
        "&Actual Size",
        ["Ctrl+Shift+A"],
        "Show the image at 100%: one pixel of it to one of the screen",
        None,
    ),
    "turn_right": (
        "Turn &Right",
        ["Ctrl+Shift+R"],
        "Turn the image a quarter clockwise and read it again (a photo taken sideways)",
        None,
    ),
    "turn_left": (
        "Turn &Left",
        ["Ctrl+Shift+L"],
        "Turn the image a quarter anticlockwise and read it again",
        None,
    ),
    "thinner": ("&Thinner Brush", ["["], "Make the brush thinner", None),
    "thicker": ("T&hicker Brush", ["]"], "Make the brush thicker", None),
    "evaluate": (
        "&Evaluate Model",
        ["Ctrl+E"],
        "The model's confusion matrix, accuracy and mistakes on the MNIST test set",
        None,
    ),
    "retrain": (
        "&Retrain Model…",
        ["Ctrl+R"],
        "Train a new model in the background, optionally with your samples",
        None,
    ),
    "samples": ("My &Samples…", ["Ctrl+Shift+M"], "Look through and delete your samples", None),
    "revert": (
        "Revert to &Bundled Model",
        ["Ctrl+Shift+B"],
        "Use the model that came with DigitPad again",
        None,
    ),
    **{
        f"teach_{d}": (
            f"It Is a &{d}",
            [f"Ctrl+{d}"],
            f"Save the drawn digit (in a number, the selected one) as a sample of {d}",
            None,
        )
        for d in range(10)
    },
    "model_card": (
        "&Model Card",
        [Key.HelpContents, "F1"],
        "How the model was made and how well it does",
        Theme.HelpFaq,
    ),
    "about": ("&About DigitPad", ["Ctrl+F1"], "Versions and the model in use", Theme.HelpAbout),
}


def make_actions(window) -> dict[str, QAction]:
    slots = {
        "open_image": window.open_image_dialog,
        "open_drawing": window.open_drawing_dialog,
        "save_drawing": window.save_drawing_dialog,
        "quit": window.close,
        "undo": window.undo,
        "redo": window.redo,
        "clear": window.clear,
        "copy": window.copy_number,
        "paste": window.paste,
        "previous_digit": lambda: window.step_digit(-1),
        "next_digit": lambda: window.step_digit(1),
        "zoom_in": lambda: window.image_view.zoom_by(ZOOM_STEP),
        "zoom_out": lambda: window.image_view.zoom_by(1 / ZOOM_STEP),
        "zoom_fit": window.image_view.fit,
        "zoom_actual": window.image_view.actual_size,
        "turn_right": lambda: window.turn_image(1),
        "turn_left": lambda: window.turn_image(-1),
        "thinner": lambda: window.change_brush(-2),
        "thicker": lambda: window.change_brush(2),
        "model_card": window.show_model_card,
        "about": window.show_about,
        "evaluate": window.tools.evaluate,
        "retrain": window.tools.retrain,
        "samples": window.tools.show_samples,
        "revert": window.tools.revert_to_bundled_model,
        **{f"teach_{d}": (lambda _=False, d=d: window.tools.teach(d)) for d in range(10)},
    }
    actions = {}
    for name, (text, shortcuts, tip, theme) in ACTIONS.items():
        action = QAction(text, window)
        sequences = []
        for shortcut in shortcuts:
            found = (
                QKeySequence.keyBindings(shortcut)
                if isinstance(shortcut, Key)
                else [QKeySequence(shortcut)]
            )
            sequences += [s for s in found if s not in sequences]
        action.setShortcuts(sequences)
        if sequences:
            readable = sequences[0].toString(QKeySequence.SequenceFormat.NativeText)
            tip = f"{tip} ({readable})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if theme is not None and QIcon.hasThemeIcon(theme):
            action.setIcon(QIcon.fromTheme(theme))
        action.setIconVisibleInMenu(False)
        action.triggered.connect(slots[name])
        window.addAction(action)  # shortcuts work even with the toolbar hidden
        actions[name] = action
    return actions


def build_menus_and_toolbar(window: QMainWindow, actions: dict[str, QAction]) -> QSlider:
    """Menus, the toolbar and its brush-width slider (returned)."""
    bar = window.menuBar()
    for title, names in (
        ("&File", ["open_image", "open_drawing", "recent", "save_drawing", None, "quit"]),
        ("&Edit", ["undo", "redo", "clear", None, "copy", "paste"]),
        (
            "&View",
            [
                "previous_digit",
                "next_digit",
                None,
                "zoom_in",
                "zoom_out",
                "zoom_fit",
                "zoom_actual",
                "turn_right",
                "turn_left",
                None,
                "thinner",
                "thicker",
                None,
                "theme",
            ],
        ),
        ("&Tools", ["evaluate", "retrain", None, "teach", "samples", None, "versions", "revert"]),
        ("&Help", ["model_card", None, "about"]),
    ):
        menu = bar.addMenu(title)
        for name in names:
            if name is None:
                menu.addSeparator()
            elif name == "teach":
                teach = menu.addMenu("&Correct the Digit")
                teach.setToolTipsVisible(True)
                for digit in range(10):
                    teach.addAction(actions[f"teach_{digit}"])
            elif name == "theme":
                _theme_menu(window, menu.addMenu("&Theme"))
            elif name == "recent":
                recent = menu.addMenu("Open &Recent")
                recent.setObjectName("recent")
                recent.aboutToShow.connect(lambda m=recent: window.fill_recent_menu(m))
            elif name == "versions":
                versions = menu.addMenu("Model &Versions")
                versions.setObjectName("versions")
                versions.aboutToShow.connect(lambda m=versions: window.tools.fill_versions_menu(m))
            else:
                menu.addAction(actions[name])

    toolbar = QToolBar("Tools")
    toolbar.setObjectName("tools")  # saveState() needs it
    toolbar.setMovable(False)
    on_toolbar = ("open_image", "save_drawing", None, "undo", "redo", "clear", None, "copy")
    # Icons only when the desktop's theme has them all: a mix of styles looks worse
    # than plain words.
    iconic = all(not actions[n].icon().isNull() for n in on_toolbar if n is not None)
    toolbar.setToolButtonStyle(
        Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        if iconic
        else Qt.ToolButtonStyle.ToolButtonTextOnly
    )
    toolbar.setIconSize(toolbar.iconSize() * 0.75)
    for name in on_toolbar:
        toolbar.addSeparator() if name is None else toolbar.addAction(actions[name])
    for name, short in (
        ("open_image", "Open Image"),
        ("save_drawing", "Save"),
        ("undo", "Undo"),
        ("redo", "Redo"),
        ("clear", "Clear"),
        ("copy", "Copy"),
    ):
        actions[name].setIconText(short)
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    label = QLabel("Brush ")
    toolbar.addWidget(label)
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(MIN_BRUSH, MAX_BRUSH)
    slider.setSingleStep(1)
    slider.setPageStep(4)
    slider.setFixedWidth(130)
    slider.setAccessibleName("Brush width")
    label.setBuddy(slider)
    slider.valueChanged.connect(window.set_brush)
    toolbar.addWidget(slider)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    return slider


def _theme_menu(window: QMainWindow, menu: QMenu) -> None:
    """System / Light / Dark, remembered for the next start."""
    from PySide6.QtGui import QActionGroup
    from PySide6.QtWidgets import QApplication

    from digitpad.gui import settings, theme

    group = QActionGroup(menu)
    for choice in theme.CHOICES:
        action = menu.addAction(f"&{choice.title()}")
        action.setObjectName(f"theme_{choice}")
        action.setCheckable(True)
        action.setChecked(choice == theme.choice())
        group.addAction(action)

        def chosen(_: bool = False, c: str = choice) -> None:
            theme.choose(QApplication.instance(), c)
            settings.open_settings().setValue(settings.THEME, c)

        action.triggered.connect(chosen)
