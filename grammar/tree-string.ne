# The bracketed form of derivation trees: `(S unet (E2 conv_encoder (ENORM instance_norm) ...) ...)`.
# A node is '(' its nonterminal, then its children: bare names (terminals) and nested nodes.

@preprocessor typescript

@{%
import { treeLexer } from '../lexers.js';
%}

@lexer treeLexer

tree      -> node                                    {% id %}
node      -> %lparen %name child:* %rparen           {% (d) => ({ symbol: d[1].value, children: d[2] }) %}
child     -> %name                                   {% (d) => d[0].value as string %}
           | node                                    {% id %}
