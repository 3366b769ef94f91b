; Inno Setup 6 script for DigitPad's Windows installer. packaging/build.py runs it as
;   ISCC /DAppVersion=<version> /DSourceDir=<dist\DigitPad> /DOutputDir=<dist> digitpad.iss
; and it writes DigitPad-Setup-<version>.exe: per-user install by default (no admin
; rights; "all users" can be chosen), a Start-menu entry, an uninstaller.

#ifndef AppVersion
  #error Pass /DAppVersion=<version>
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\DigitPad"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
; What ships is lzma2/max; a check build may pass /DCompression=lzma2/fast (quicker).
#ifndef Compression
  #define Compression "lzma2/max"
#endif

[Setup]
AppId={{5B0F5C4E-6D1A-4C1E-9E55-2D7C1B8A3F10}
AppName=DigitPad
AppVersion={#AppVersion}
AppVerName=DigitPad {#AppVersion}
AppPublisher=DigitPad
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\DigitPad
DefaultGroupName=DigitPad
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=DigitPad-Setup-{#AppVersion}
SetupIconFile=..\..\resources\icons\digitpad.ico
UninstallDisplayIcon={app}\DigitPad.exe
UninstallDisplayName=DigitPad {#AppVersion}
Compression={#Compression}
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An update replaces the whole program folder: no stale libraries from an older version.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\DigitPad"; Filename: "{app}\DigitPad.exe"
Name: "{autodesktop}\DigitPad"; Filename: "{app}\DigitPad.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\DigitPad.exe"; Description: "{cm:LaunchProgram,DigitPad}"; Flags: nowait postinstall skipifsilent
