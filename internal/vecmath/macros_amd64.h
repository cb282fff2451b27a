// Macros shared by the assembly files of package vecmath.

// TAILMASK sets K1 to the low r bits (r in CX, 1..15), clobbering DX.
#define TAILMASK \
	MOVL  $1, DX;  \
	SHLL  CX, DX;  \
	DECL  DX;      \
	KMOVW DX, K1

// HMAX reduces the 16 lanes of Z (X, Y its low parts) to their max in
// lane 0 of X, with temporaries Zt (Yt, Xt).
#define HMAX(z, y, x, zt, yt, xt) \
	VEXTRACTF64X4 $1, z, yt; \
	VMAXPS        yt, y, y;  \
	VEXTRACTF128  $1, y, xt; \
	VMAXPS        xt, x, x;  \
	VPERMILPS     $0x4e, x, xt; \
	VMAXPS        xt, x, x;  \
	VPERMILPS     $0xb1, x, xt; \
	VMAXPS        xt, x, x

// HSUM is HMAX for the sum: lanes j and j+8, then j+4, j+2, j+1.
#define HSUM(z, y, x, zt, yt, xt) \
	VEXTRACTF64X4 $1, z, yt; \
	VADDPS        yt, y, y;  \
	VEXTRACTF128  $1, y, xt; \
	VADDPS        xt, x, x;  \
	VPERMILPS     $0x4e, x, xt; \
	VADDPS        xt, x, x;  \
	VPERMILPS     $0xb1, x, xt; \
	VADDPS        xt, x, x
