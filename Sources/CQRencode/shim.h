// Debian's libqrencode (libqrencode-dev to build, libqrencode4 to run).
#include <qrencode.h>
