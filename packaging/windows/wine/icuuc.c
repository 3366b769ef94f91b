/* TEST-ONLY shim for checking the Windows build under Wine; never shipped.

   Qt 6's Qt6Core.dll imports about 20 text-converter functions (ucnv_*) from the
   icuuc.dll that Windows 10 and later carry in System32. Wine 8.0 has no icuuc.dll, so
   Qt6Core.dll, and with it the whole app, fails to load. Qt uses these converters only
   for legacy encodings that DigitPad never asks for (its text is UTF-8), so this stub,
   copied into the Wine prefix's system32, reports every converter as unsupported.
   Real Windows has the real library and never sees this file.

   The MSVC x64 convention has the caller clean the stack, so one body returning 0
   (NULL, no count) is safe whatever a function's arguments; where the ICU call takes
   a UErrorCode pointer, it is set to U_UNSUPPORTED_ERROR so that Qt sees a failure. */
#define U_UNSUPPORTED_ERROR 16

typedef int UErrorCode;
static void fail(UErrorCode *status) { if (status && *status <= 0) *status = U_UNSUPPORTED_ERROR; }

/* The ones that can be asked to create or use a converter: they fail cleanly. */
void *ucnv_open(const char *name, UErrorCode *status) { (void)name; fail(status); return 0; }
const char *ucnv_getName(const void *cnv, UErrorCode *status) { (void)cnv; fail(status); return 0; }
const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *status) {
    (void)name; (void)standard; fail(status); return 0;
}
void ucnv_toUnicode(void *cnv, void **target, const void *target_limit, const char **source,
                    const char *source_limit, int *offsets, char flush, UErrorCode *status) {
    (void)cnv; (void)target; (void)target_limit; (void)source; (void)source_limit;
    (void)offsets; (void)flush; fail(status);
}
void ucnv_fromUnicode(void *cnv, char **target, const char *target_limit, const void **source,
                      const void *source_limit, int *offsets, char flush, UErrorCode *status) {
    (void)cnv; (void)target; (void)target_limit; (void)source; (void)source_limit;
    (void)offsets; (void)flush; fail(status);
}
int ucnv_toUCountPending(const void *cnv, UErrorCode *status) { (void)cnv; fail(status); return 0; }
int ucnv_fromUCountPending(const void *cnv, UErrorCode *status) { (void)cnv; fail(status); return 0; }
int ucnv_countAvailable(void) { return 0; }
const char *ucnv_getAvailableName(int n) { (void)n; return 0; }
void ucnv_close(void *cnv) { (void)cnv; }
void ucnv_reset(void *cnv) { (void)cnv; }
signed char ucnv_getMaxCharSize(const void *cnv) { (void)cnv; return 1; }

/* Callbacks and their getters/setters: only reachable with an open converter, which
   this stub never hands out. */
void UCNV_FROM_U_CALLBACK_SUBSTITUTE(void) {}
void UCNV_TO_U_CALLBACK_SUBSTITUTE(void) {}
void ucnv_getToUCallBack(void) {}
void ucnv_getFromUCallBack(void) {}
void ucnv_setToUCallBack(void) {}
void ucnv_setFromUCallBack(void) {}
void ucnv_cbToUWriteUChars(void) {}
void ucnv_cbFromUWriteUChars(void) {}
