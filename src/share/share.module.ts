import { Module } from '@nestjs/common';
import { FaviconController } from './favicon.controller';
import { SharePageController } from './share-page.controller';

@Module({ controllers: [SharePageController, FaviconController] })
export class ShareModule {}
