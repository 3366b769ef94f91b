/* TEST-ONLY shim for checking the Windows build under Wine; never shipped.

   Wine 8.0's ucrtbase.dll exports the C99 complex functions (cexp, cpow, crealf, ...)
   and feholdexcept as stubs that abort the process when called. NumPy 2.x and h5py's
   HDF5 call them while importing, so the Windows Python cannot even `import numpy`.
   This proxy ucrtbase.dll implements those few functions and forwards every other
   export to a copy of Wine's own ucrtbase.dll, saved in the prefix as ucrtwine.dll
   (the forwarders come from the .def file that packaging/windows/wine/check.py
   writes from the real export list). Loaded with WINEDLLOVERRIDES="ucrtbase=n,b".
   Real Windows has working functions and never sees this file.

   ABI (MSVC x64): _Fcomplex (8 bytes) is passed and returned in a register; _Dcomplex
   (16 bytes) is passed by reference and returned through a hidden pointer. Declaring
   them as plain structs makes mingw-w64's gcc follow exactly those rules. MSVC's long
   double is a double, so _Lcomplex is two doubles.

   Every function implemented here is named dp_<export> (UNARY and REAL make the
   double, float and long double forms): check.py finds them by those names and
   exports each under its ucrtbase name. */
#include <complex.h>
#include <math.h>
#include <windows.h>

typedef struct { double v[2]; } Dcomplex;
typedef struct { float v[2]; } Fcomplex;
typedef Dcomplex Lcomplex;

static double _Complex d_in(Dcomplex z) { return __builtin_complex(z.v[0], z.v[1]); }
static Dcomplex d_out(double _Complex z) { Dcomplex r = {{creal(z), cimag(z)}}; return r; }
static float _Complex f_in(Fcomplex z) { return __builtin_complex(z.v[0], z.v[1]); }
static Fcomplex f_out(float _Complex z) { Fcomplex r = {{crealf(z), cimagf(z)}}; return r; }

#define UNARY(name)                                                            \
    Dcomplex dp_##name(Dcomplex z) { return d_out(name(d_in(z))); }            \
    Fcomplex dp_##name##f(Fcomplex z) { return f_out(name##f(f_in(z))); }      \
    Lcomplex dp_##name##l(Lcomplex z) { return d_out(name(d_in(z))); }
#define REAL(name)                                                             \
    double dp_##name(Dcomplex z) { return name(d_in(z)); }                     \
    float dp_##name##f(Fcomplex z) { return name##f(f_in(z)); }                \
    double dp_##name##l(Lcomplex z) { return name(d_in(z)); }

UNARY(cacos) UNARY(cacosh) UNARY(casin) UNARY(casinh) UNARY(catan) UNARY(catanh)
UNARY(ccos) UNARY(ccosh) UNARY(cexp) UNARY(clog) UNARY(conj) UNARY(cproj)
UNARY(csin) UNARY(csinh) UNARY(csqrt) UNARY(ctan) UNARY(ctanh)
REAL(cabs) REAL(carg) REAL(cimag) REAL(creal)

Dcomplex dp_cpow(Dcomplex x, Dcomplex y) { return d_out(cpow(d_in(x), d_in(y))); }
Fcomplex dp_cpowf(Fcomplex x, Fcomplex y) { return f_out(cpowf(f_in(x), f_in(y))); }
Lcomplex dp_cpowl(Lcomplex x, Lcomplex y) { return d_out(cpow(d_in(x), d_in(y))); }

Dcomplex dp__Cbuild(double re, double im) { Dcomplex r = {{re, im}}; return r; }
Fcomplex dp__FCbuild(float re, float im) { Fcomplex r = {{re, im}}; return r; }
Lcomplex dp__LCbuild(double re, double im) { Lcomplex r = {{re, im}}; return r; }
Dcomplex dp__Cmulcc(Dcomplex x, Dcomplex y) { return d_out(d_in(x) * d_in(y)); }
Fcomplex dp__FCmulcc(Fcomplex x, Fcomplex y) { return f_out(f_in(x) * f_in(y)); }
Lcomplex dp__LCmulcc(Lcomplex x, Lcomplex y) { return d_out(d_in(x) * d_in(y)); }
Dcomplex dp__Cmulcr(Dcomplex x, double y) { return d_out(d_in(x) * y); }
Fcomplex dp__FCmulcr(Fcomplex x, float y) { return f_out(f_in(x) * y); }
Lcomplex dp__LCmulcr(Lcomplex x, double y) { return d_out(d_in(x) * y); }

/* feholdexcept: save the environment, clear the flags. Windows already runs with every
   floating-point exception masked (non-stop), so nothing else is needed. */
typedef struct { unsigned long ctl, stat; } FEnv;
int dp_feholdexcept(FEnv *env) {
    static int (*get_env)(FEnv *);
    static int (*clear)(int);
    if (!get_env) {
        HMODULE wine = LoadLibraryA("ucrtwine.dll");
        get_env = (int (*)(FEnv *))(void *)GetProcAddress(wine, "fegetenv");
        clear = (int (*)(int))(void *)GetProcAddress(wine, "feclearexcept");
    }
    if (!get_env || !clear || get_env(env) != 0) return 1;
    return clear(0x1f) != 0; /* FE_ALL_EXCEPT in the UCRT */
}
