#include <catch2/catch.hpp>

#include "tests/chat/chat_test_util.h"

using glasswing::chat::test::render;
