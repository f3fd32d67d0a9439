#ifndef OBOL_CORE_VERSION_H
#define OBOL_CORE_VERSION_H
#define OBOL_VERSION "0.1.0"
/* The version carried in every device-link frame and issuer API path. */
#define OBOL_PROTOCOL_VERSION 2
#endif
